"""The agent: understands a prospect message, calls tools, and proposes a grounded reply and next steps."""
