"""Size limits applied to untrusted scan files before anything is decoded.

The limits are generous enough for real instruments (a 10 000 x 10 000 float64
X3P decodes to 800 MB and passes) and small enough that a hostile file cannot
make the process allocate gigabytes: every size is checked against the values
declared in the file's headers (main.xml, the ZIP central directory, the image
header) before a single byte is decompressed.
"""

from __future__ import annotations

#: Largest accepted file on disk or upload (bytes).
MAX_FILE_BYTES = 2_000_000_000

#: Largest grid side (points along x or y) of an X3P surface or an image.
MAX_SIDE = 20_000

#: Largest number of points (SizeX * SizeY) of an X3P surface.
MAX_POINTS = 200_000_000

#: Largest decoded point data (``bindata/data.bin``), bytes: MAX_POINTS float64.
MAX_DATA_BYTES = 1_600_000_000

#: Largest ``main.xml`` (uncompressed), bytes; real ones are about 2 kB.
MAX_XML_BYTES = 1_000_000

#: Largest ``md5checksum.hex`` (uncompressed), bytes.
MAX_CHECKSUM_FILE_BYTES = 4_096

#: Largest ``bindata/mask.png`` member (uncompressed PNG stream), bytes.
MAX_MASK_FILE_BYTES = 256_000_000

#: Largest number of members in an X3P archive.
MAX_MEMBERS = 1_000

#: Largest uncompressed/compressed ratio of a member bigger than
#: ``RATIO_CHECK_MIN_BYTES``.  Real scans compress 1-5x (processed scans with
#: 70 % NaN about 4x); deflate bombs reach about 1000x.  Small members are
#: exempt so synthetic test surfaces (constant planes) still load.
MAX_COMPRESSION_RATIO = 100.0
RATIO_CHECK_MIN_BYTES = 50_000_000

#: Largest image (and annotation mask) accepted, pixels: checked from the
#: header before decoding.
MAX_IMAGE_PIXELS = 100_000_000

#: Largest annotation mask image (``bindata/mask.png``), pixels.
MAX_MASK_PIXELS = MAX_POINTS
