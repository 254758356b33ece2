"""Partner organisations of the kern: the club, the school, the housing corporation."""
