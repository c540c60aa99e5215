"""Bulk ingest of whole contracting processes: files (OCDS, spreadsheets) and generated data.

The feed API writes record by record through `ledger.services`; files arrive by the thousand and
go through this package instead, with the same meaning (idempotent by source, external id and
version; each process stored whole or refused with its reason) and one audit entry per batch.
"""
