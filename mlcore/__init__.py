"""Django-free ML and imaging code: layouts, copy, rendering, models."""
