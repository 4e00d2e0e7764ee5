"""mtlc's PyTorch runtime: what `mtlc compile --target torch` output imports.

Layers with TensorFlow.js semantics (layers), junctions (junctions), losses and metrics
(losses), optimizers with tfjs's update rules (optimizers), tfjs model files (tfjs_io), the
data hand-over (data) and the DDP training loop (train).
"""
__version__ = "0.1.0"
