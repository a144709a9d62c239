"""What a change means: normalise, classify, rate, extract facts, summarise, story keys."""
