"""Learning management systems behind one interface (`base.LmsClient`)."""
