"""Forming a joint tender: pools of requirements become a draft's lots, its buyers confirm their lines, the agency prepares the terms and publishes."""
