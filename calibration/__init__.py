"""Calibration of country profiles (issue 4)."""
