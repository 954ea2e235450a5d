"""Firearm registry logic: serial numbers, life cycle, destruction, test-fire links."""
