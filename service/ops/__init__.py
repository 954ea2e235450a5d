"""Operations: health probes, Prometheus metrics, request ids, JSON logs, security headers."""
