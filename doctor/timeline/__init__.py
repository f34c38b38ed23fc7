"""What happened, in order: every fact that carries a time, as one timeline per pod and one for
the node (`build`), and which entries a finding's evidence is (`evidence`)."""
