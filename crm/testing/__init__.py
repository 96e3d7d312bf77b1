"""Test doubles for the CRM's external services (real HTTP servers on 127.0.0.1)."""
