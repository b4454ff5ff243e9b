"""The JSON API views, one module per area; tickets/api/urls.py names them."""
