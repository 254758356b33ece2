"""The HTTP methods that route tables share."""

GET_POST = ["GET", "POST"]
