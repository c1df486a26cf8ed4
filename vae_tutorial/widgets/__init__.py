"""Explorers that decode latent codes in the browser: sliders, a pad to drag on, the reparameterization trick.

Every explorer is an `anywidget <https://anywidget.dev>`_ widget. The decoder's weights go to
the browser once, as binary buffers; every slider move, click or drag decodes in JavaScript
(``vae_tutorial/explorer.js``) and paints a canvas, so nothing waits for the kernel: the
explorers keep working while a cell trains, and on the course's static pages (``make site``)
with no kernel at all. The state (slider values, the code, mu, sigma, eps) lives in synced
traits, so a notebook can read it and set it; the browser tells the kernel once a control rests.

* :class:`LatentExplorer`: one slider per latent direction, the decoded image, and a pad (the
  map of the encodings, or for a larger model their plane of the two leading principal
  directions): click or drag on it to decode the point under the pointer.
* :class:`InterpolationExplorer`: one slider ``t`` moves along the straight latent path between
  the encodings of two images in several models at once, next to the two input images.
* :class:`ReparameterizationExplorer`: z = mu + sigma * eps with the noise eps held fixed: move
  mu and sigma (or scale sigma) and watch one or several draws move and decode.
* :class:`DiscreteExplorer`: a Gumbel-softmax temperature slider moving relaxed samples on the
  simplex of 3 classes, and the discrete VAE's code as a grid of variables x classes: click a
  cell to set a variable's class and see the digit change (10-beyond-the-gaussian).
* :class:`ConditionalExplorer`: a conditional VAE's style code z with ten labels: pick a digit
  and slide the style, and see all ten digits drawn in the same style (11-vaes-people-use).
* :class:`ExplorerSwitch`: a slider that switches between several explorers (e.g. VAEs trained
  with different beta), carrying the current code over to the newly shown one.

The slider geometry (ranges, steps, principal directions) is :mod:`vae_tutorial.geometry`.
The widgets decode with the weights a model has when the widget is made (a snapshot): make a
new widget after training further. The weights travel as float32; with the environment
variable ``VAE_TUTORIAL_WIDGET_WEIGHTS=float16`` (set by ``make site`` to keep pages small) the
largest matrix travels as float16, whose decodings stay within one grey level here
(``tests/test_widgets_snapshot.py`` checks the shipped models).

Where no widget front end exists, the explorers fall back to a still picture: their display
data carries, next to the widget view, a PNG drawn by ``static_figure()`` with a footer saying
why (shown by front ends that cannot run custom widgets, such as GitHub), and a text form
(shown in a terminal, which asks for text only, so no figure is drawn there).

Introduced in 09-latent-playground (notebooks 02, 03 and 04 use them too).

The package, one job per module:

* :mod:`~vae_tutorial.widgets.snapshot`: the decoder's weights as sent to the browser, and a
  NumPy decoder that computes what the browser paints.
* :mod:`~vae_tutorial.widgets.still`: the still pictures (PNG), the footer, the map of the encodings.
* :mod:`~vae_tutorial.widgets.base`: the :class:`~vae_tutorial.widgets.base.Explorer` base class,
  slider handles and the argument checks every explorer shares.
* one module per explorer: :mod:`~vae_tutorial.widgets.latent_explorer`,
  :mod:`~vae_tutorial.widgets.interpolation_explorer`,
  :mod:`~vae_tutorial.widgets.reparameterization_explorer`, :mod:`~vae_tutorial.widgets.explorer_switch`,
  :mod:`~vae_tutorial.widgets.discrete_explorer`, :mod:`~vae_tutorial.widgets.conditional_explorer`.

To add an explorer:

1. Write ``vae_tutorial/widgets/<name>_explorer.py`` with one class that subclasses
   :class:`~vae_tutorial.widgets.base.Explorer`: check the model with
   :func:`vae_tutorial.models.check_model` (any :class:`~vae_tutorial.models.LatentModel`: the
   widgets read a model only through that class) and the other arguments with the checks in
   ``base``; put what never changes in ``spec`` (``"kind": "<name>"`` and the decoder as
   ``Snapshot(model).spec()``), the state in synced traits, and draw a ``static_figure()`` (with
   ``still.footer``) for front ends without widgets.
2. Add a ``render`` branch for ``spec.kind == "<name>"`` in ``vae_tutorial/explorer.js``.
3. Import the class here and add it to ``__all__``; write ``tests/test_widgets_<name>_explorer.py``.
   Import from sibling modules by their full name (``from vae_tutorial.widgets.base import ...``),
   never from this package's ``__init__``, so the package has no import circle.
"""

from vae_tutorial.widgets.base import TEXT_NOTE
from vae_tutorial.widgets.conditional_explorer import ConditionalExplorer
from vae_tutorial.widgets.discrete_explorer import DiscreteExplorer
from vae_tutorial.widgets.explorer_switch import ExplorerSwitch
from vae_tutorial.widgets.interpolation_explorer import InterpolationExplorer
from vae_tutorial.widgets.latent_explorer import LatentExplorer
from vae_tutorial.widgets.reparameterization_explorer import ReparameterizationExplorer
from vae_tutorial.widgets.snapshot import WEIGHTS_ENV
from vae_tutorial.widgets.still import NO_FRONTEND_NOTE

__all__ = ["LatentExplorer", "InterpolationExplorer", "ReparameterizationExplorer", "ExplorerSwitch", "DiscreteExplorer",
           "ConditionalExplorer", "NO_FRONTEND_NOTE", "TEXT_NOTE", "WEIGHTS_ENV"]
