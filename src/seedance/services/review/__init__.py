"""Review pages: posters, contact sheets, seams and takes of a run folder."""
