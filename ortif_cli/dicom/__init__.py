"""Local DICOM toolkit (no HTTP): never prints, prompts or exits; returns dataclasses."""
