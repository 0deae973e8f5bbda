"""Certificates and CSRs that an operator brings or takes away: reading them, and checking a
certificate against the server before it is imported. No user interface, no network of its own:
``importcheck`` asks the server through the admin API client it is given."""
