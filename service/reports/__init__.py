"""What an examiner looks at: aligned comparison figures and the comparison report.

``pairs`` compares two signatures keeping what the figures need, ``alignment`` puts
both surfaces in one frame, ``figures`` draws them (matplotlib ``Figure`` objects,
never pyplot), ``comparison_report`` lays them out as a PDF or PNG for the case file,
and ``cache`` keeps comparisons and PNGs of recently opened candidates.
"""
