"""physlab: teach small language models physical failure reasoning for robot manipulation."""

__version__ = "0.1.0"
