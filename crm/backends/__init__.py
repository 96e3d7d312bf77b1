"""CRM backends: the local tables (default) and HubSpot; ``crm.client.get_crm_client`` picks one."""
