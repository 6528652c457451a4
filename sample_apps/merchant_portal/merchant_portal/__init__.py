"""Stacks and constructs of the merchant portal sample app."""
