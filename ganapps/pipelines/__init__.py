"""Inference: rebuild a net from its weights file, preprocess, run, postprocess."""
