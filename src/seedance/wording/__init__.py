"""The front ends' shared words: what each reason an error names means to a person."""
