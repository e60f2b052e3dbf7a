"""Reading datasets and images into the core's convention: float NCHW RGB/gray in [-1, 1]."""
