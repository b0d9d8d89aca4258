"""Test configuration: under CI (the CI environment variable set), hypothesis draws the same examples on
every run, so a CI result can be reproduced exactly; locally it explores new examples each run."""
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
