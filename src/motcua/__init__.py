"""MotCua: the interconnected electronic one-stop shop (một cửa liên thông điện tử)."""

__version__ = "0.1.0"
