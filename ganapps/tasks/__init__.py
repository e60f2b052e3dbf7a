"""Task heads: each file builds its nets and says how to score them; core/trainer does the rest."""
