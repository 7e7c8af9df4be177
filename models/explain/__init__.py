"""Why a model decided: attributions (integrated gradients, gradient × input, occlusion, from captum) for the
image classifier's class and SmolLM2's next token, and the deletion curve that checks them."""
