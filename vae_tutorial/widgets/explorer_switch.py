"""The explorer switch: several latent explorers behind one slider, the code carried over on a switch.

Introduced in 09-latent-playground.
"""

from __future__ import annotations

import traitlets
from matplotlib.figure import Figure

from vae_tutorial.widgets.base import Explorer
from vae_tutorial.widgets.latent_explorer import LatentExplorer
from vae_tutorial.widgets.still import footer

__all__ = ["ExplorerSwitch"]


class ExplorerSwitch(Explorer):
    """Several :class:`LatentExplorer` s behind one slider; the code carries over on a switch.

    The slider shows one explorer at a time, in the browser. On a switch the newly shown
    explorer moves to the code the previous one showed (clamped to its slider ranges; give the
    explorers the same ``ranges`` and nothing is clamped), so the same z is decoded by the other
    model. The switch keeps the shown explorer's state in its own traits and in that explorer.

    Args:
        explorers: ``{label: LatentExplorer}``, at least one, all with the same latent size and
            number of sliders; the labels are the slider's positions (e.g. beta values).
        description: the slider's label, e.g. ``"beta"``.
        value: the label shown first (default: the first).

    Attributes:
        explorers: ``{label: LatentExplorer}``.
        labels: the labels, in order.
        index: synced trait, the position of the explorer shown.
        value: the label of the explorer shown; set it to switch (the code carries over).
        current: the explorer shown.

    Raises:
        TypeError: ``explorers`` is not a dict of LatentExplorer; ``description`` not a string.
        ValueError: ``explorers`` is empty or mixes latent sizes or slider counts; ``value`` is not
            one of the labels.

    Example:
        >>> switch = ExplorerSwitch({0.3: explorer_a, 1.0: explorer_b}, description="beta", value=1.0)
        >>> switch.value = 0.3   # shows explorer_a at explorer_b's code

    Introduced in 09-latent-playground.
    """

    index = traitlets.Int(0).tag(sync=True)
    values = traitlets.List(traitlets.Float()).tag(sync=True)
    rest = traitlets.List(traitlets.Float()).tag(sync=True)

    def __init__(self, explorers: dict, *, description: str = "model", value=None):
        if not isinstance(explorers, dict):
            raise TypeError(f"explorers must be a dict {{label: LatentExplorer}}, got {type(explorers).__name__}")
        if not explorers:
            raise ValueError("explorers must hold at least one LatentExplorer, got an empty dict")
        for label, explorer in explorers.items():
            if not isinstance(explorer, LatentExplorer):
                raise TypeError(f"explorers[{label!r}] must be a LatentExplorer, got {type(explorer).__name__}")
        if not isinstance(description, str):
            raise TypeError(f"description must be a string, got {type(description).__name__}")
        shapes = {(e.latent_dim, len(e.sliders)) for e in explorers.values()}
        if len(shapes) > 1:
            raise ValueError(
                f"explorers must share latent size and slider count, got (latent, sliders) {sorted(shapes)}")
        self.explorers, self.description, self._switching = dict(explorers), description, False
        self.labels = list(self.explorers)
        if value is None:
            value = self.labels[0]
        if value not in self.labels:
            raise ValueError(f"value must be one of the labels {self.labels}, got {value!r}")
        index = self.labels.index(value)
        shown = self.explorers[value]
        spec = {"kind": "switch", "css_class": "vae-explorer-switch", "description": description,
                "labels": [str(label) for label in self.labels],
                "explorers": [e.spec for e in self.explorers.values()]}
        super().__init__(spec=spec, index=index, values=list(shown.values), rest=list(shown.rest))
        self.add_class("vae-explorer-switch")
        self.observe(self._to_current, names=["values", "rest"])
        for explorer in self.explorers.values():
            explorer.observe(self._from_explorer, names=["values", "rest"])

    @property
    def current(self) -> LatentExplorer:
        """The explorer shown now."""
        return self.explorers[self.labels[self.index]]

    @property
    def value(self):
        """The label of the explorer shown."""
        return self.labels[self.index]

    @value.setter
    def value(self, label) -> None:
        if label not in self.labels:
            raise ValueError(f"value must be one of the labels {self.labels}, got {label!r}")
        z = self.current.z
        shown = self.explorers[label]
        shown.set_z(z)  # move first, then show: the new view opens at the same code
        self._switching = True
        try:
            with self.hold_sync():
                self.index = self.labels.index(label)
                self.values, self.rest = list(shown.values), list(shown.rest)
        finally:
            self._switching = False

    @traitlets.observe("index")
    def _index_changed(self, change) -> None:  # a switch in the browser sends index, values and rest together
        self._to_current(None)

    def _to_current(self, _change) -> None:
        if self._switching:
            return
        current = self.current
        if len(self.values) == len(current.values):
            with current.hold_sync():
                current.values, current.rest = list(self.values), list(self.rest)

    def _from_explorer(self, change) -> None:
        if change["owner"] is self.current:
            setattr(self, change["name"], list(change["new"]))

    def __repr__(self) -> str:
        return f"ExplorerSwitch({self.description}: {', '.join(map(str, self.labels))})"

    def static_figure(self, *, steps: int = 9) -> Figure:
        """Every explorer's still picture side by side, one column per label, with a sentence saying it is static.

        Returns:
            A matplotlib ``Figure`` (not registered with pyplot).
        """
        explorers = list(self.explorers.values())
        width, height = explorers[0]._static_size(steps, stacked=True)
        fig = Figure(figsize=(width * len(explorers), height + 0.4))
        subfigs = fig.subfigures(1, len(explorers), squeeze=False)[0]
        for subfig, (label, explorer) in zip(subfigs, self.explorers.items()):
            # Room above for the two titles, below for the footer; a fixed layout (still.margins).
            explorer._draw_static(subfig, steps=steps, stacked=True, top=0.65, bottom=0.35)
            subfig.suptitle(f"{self.description} = {label}", y=1 - 0.4 / (height + 0.4))
        fig.suptitle(f"What the {self.description} slider switches between")
        footer(fig)
        return fig
