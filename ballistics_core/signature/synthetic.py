"""Synthetic breech faces: realistic distractors for scale benchmarks.

A generated face imitates a processed breech-face scan (Fadul-like): a primer
disc cropped by the scan window, an off-centre firing-pin aperture left
unmeasured, scattered drop-outs, and a band-passed surface whose texture mixes
isotropic roughness with parallel machining marks (filing/milling lines at a
random direction) and a few broad impressions, at a height spread of about
1-2 µm. Everything is drawn from ``seed``, so a store can keep the seed instead
of the surface and regenerate it exactly when a full comparison needs it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["synthetic_surface", "SYNTHETIC_SPACING_UM"]

SYNTHETIC_SPACING_UM = 12.5


def _bandpass_gain(n: int, spacing_um: float, lo_um: float, hi_um: float,
                  anisotropy: float = 0.0, angle: float = 0.0) -> np.ndarray:
    """Unit-energy log-Gaussian band-pass gain on the rfft2 grid."""
    fy = np.fft.fftfreq(n, spacing_um)[:, None]
    fx = np.fft.rfftfreq(n, spacing_um)[None, :]
    if anisotropy > 0:
        # energy concentrates across the marks: slow variation along them
        c, s = np.cos(angle), np.sin(angle)
        u = fx * c + fy * s
        v = -fx * s + fy * c
        f = np.sqrt(u**2 + (v * anisotropy) ** 2)
    else:
        f = np.sqrt(fx**2 + fy**2)
    centre = 1.0 / np.sqrt(lo_um * hi_um)
    width = np.log(hi_um / lo_um) / 4
    gain = np.exp(-((np.log(np.maximum(f, 1e-12)) - np.log(centre)) ** 2) / (2 * width**2))
    return gain / np.sqrt((gain**2).sum())


def synthetic_surface(seed: int, spacing_um: float = SYNTHETIC_SPACING_UM, size_um: float = 3400.0) -> np.ndarray:
    """A synthetic processed breech face (float32, NaN where unmeasured).

    Parameters
    ----------
    seed : int
        Everything is drawn from this seed.
    spacing_um : float
        Lateral sampling of the result.
    size_um : float
        Side of the square scan window (the primer disc is inscribed in it).
    """
    rng = np.random.default_rng(int(seed))
    n = int(round(size_um / spacing_um))
    yy, xx = (np.mgrid[:n, :n] - (n - 1) / 2) * spacing_um
    outer = size_um / 2 * rng.uniform(0.97, 1.0)
    ap_r = rng.uniform(1250.0, 1420.0)
    off = rng.uniform(0.0, 330.0)
    phi = rng.uniform(0, 2 * np.pi)
    ay, ax = off * np.sin(phi), off * np.cos(phi)
    valid = (np.hypot(yy, xx) < outer) & (np.hypot(yy - ay, xx - ax) > ap_r)

    mark_angle = rng.uniform(0, np.pi)
    # independent Gaussian components add in power, so one inverse FFT makes all three
    power = (rng.uniform(0.2, 0.6) * _bandpass_gain(n, spacing_um, 30.0, 200.0)) ** 2
    power += (rng.uniform(0.3, 1.2) * _bandpass_gain(n, spacing_um, 40.0, 250.0, anisotropy=rng.uniform(3, 10), angle=mark_angle)) ** 2
    power += (rng.uniform(0.5, 1.0) * _bandpass_gain(n, spacing_um, 150.0, 600.0)) ** 2
    shape = (n, n // 2 + 1)
    noise = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    z = np.fft.irfft2(noise * np.sqrt(power), s=(n, n))
    z /= z.std() + 1e-12
    # a few broad impressions, like the raised patches seen on Fadul faces
    for _ in range(rng.integers(2, 7)):
        cy, cx = rng.uniform(-outer, outer, 2)
        w = rng.uniform(60.0, 250.0)
        z += rng.uniform(-2.5, 3.5) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * w * w))
    z *= rng.uniform(1.0, 1.8) / (z[valid].std() + 1e-9)

    # drop-outs along the aperture edge and a few specks
    for _ in range(rng.integers(0, 5)):
        t = rng.uniform(0, 2 * np.pi)
        r = ap_r + rng.uniform(0, 60)
        cy, cx = ay + r * np.sin(t), ax + r * np.cos(t)
        valid &= np.hypot(yy - cy, xx - cx) > rng.uniform(20, 80)
    out = np.where(valid, z, np.nan).astype(np.float32)
    return out


def synthetic_signature(seed: int, *, params_digest: str, algorithm_version: str,
                        descriptor_params=None, polar_params=None, spacing_um: float = SYNTHETIC_SPACING_UM,
                        meta: dict | None = None):
    """A distractor :class:`Signature` built from :func:`synthetic_surface`.

    The generated face is already "preprocessed", so it carries the digest and
    version of the store it joins; its source SHA-256 hashes the seed.
    """
    from ballistics_core.signature.descriptor import DescriptorParams, compute_descriptor
    from ballistics_core.signature.model import Signature
    from ballistics_core.signature.polar import ring_spectra

    surface = synthetic_surface(seed, spacing_um=spacing_um)
    descriptor = compute_descriptor(surface, spacing_um=spacing_um, params=descriptor_params or DescriptorParams())
    rings = ring_spectra(surface, spacing_um=spacing_um, params=polar_params)
    m = {"source": f"synthetic-{seed}", "synthetic": True}
    m.update(meta or {})
    return Signature(
        surface=surface, spacing_um=spacing_um, descriptor=descriptor, ring_spectra=rings,
        algorithm_version=algorithm_version, params_digest=params_digest,
        source_sha256=synthetic_sha256(seed, spacing_um), meta=m,
    )


def synthetic_sha256(seed: int, spacing_um: float = SYNTHETIC_SPACING_UM) -> str:
    """The "source file" SHA-256 of a generated face: a hash of its seed and sampling."""
    import hashlib

    return hashlib.sha256(f"synthetic:{int(seed)}:{float(spacing_um)!r}".encode()).hexdigest()


def synthetic_spec(seed: int, spacing_um: float = SYNTHETIC_SPACING_UM) -> dict:
    """What a store keeps instead of the surface: the arguments of :func:`synthetic_surface`."""
    return {"seed": int(seed), "spacing_um": float(spacing_um)}
