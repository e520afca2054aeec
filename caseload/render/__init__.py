"""Renderers: one module per output format. They lay out a report; they never compute."""
