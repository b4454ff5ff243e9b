"""The JSON API (Django REST framework): one view per operation, explicit input and output
serializers, the same services and the same visibility rule as the pages."""
