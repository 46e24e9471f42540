"""The account: its slots and spending caps, the ledger, models, doctor."""
