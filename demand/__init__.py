"""Demand: public bodies' requirements, and the demand board that pools them across
organisations with the saving estimated before any tender."""
