"""Vision: images opened safely, the ImageNet classifier and its Grad-CAM, the digits CNN and ViT."""
