"""ortif: send medical imaging through a telemedicine platform."""

__version__ = "0.1.0"
