"""The parties: public bodies (organisations), the people who act for them and for suppliers
(accounts, roles, memberships, API tokens) and signing in. Above the kernel, below every domain."""
