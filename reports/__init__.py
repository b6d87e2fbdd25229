"""Reports: dashboard queries (queries.py); Excel and PDF come with the documents issue."""
