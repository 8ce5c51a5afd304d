"""Optimisation: an award optimised across lots (tier prices, bundles, capacities), worked out by HiGHS."""
