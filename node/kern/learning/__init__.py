"""Learning to take part ("participeren moet je leren"): the help for residents, the handleiding
for a new group with its first-run checklist, and the reminder when the kernagenda has not had
a new version for half a year. Evaluations of meetings live with meetings, the look back on a
project with projects; this room only reads them."""
