"""The learned reading of a prospect message: which intents it touches, and whether it is in scope.

A reader is trained from data staff edit (the intents' examples, out-of-scope messages, accepted
review corrections) over the message's MiniLM embedding and its character n-grams, calibrated on
cross-validated predictions, and stored as a versioned artefact in the database
(:class:`~conversations.models.ReaderModel`). ``training.py`` fits it, ``artefact.py`` holds and
applies it, ``services.py`` trains and stores it, ``selectors.py`` hands each turn the active one.
"""
