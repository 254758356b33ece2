"""Mail: queueing a message with the change it is about, and sending the queue over SMTP."""
