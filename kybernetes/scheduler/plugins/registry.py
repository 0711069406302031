"""The in-tree plugins by upstream name: ``name -> factory(args: dict, handle) -> plugin``.
Out-of-tree plugins are added by passing a bigger registry to the Framework."""

from __future__ import annotations

from ..interface import PluginFactory
from . import (defaultbinder, defaultpreemption, imagelocality, interpodaffinity, nodeaffinity, nodename, nodeports,
               noderesources, nodeunschedulable, podtopologyspread, queuesort, schedulinggates, tainttoleration, volumes)


def in_tree_registry() -> dict[str, PluginFactory]:
    reg: dict[str, PluginFactory] = {
        queuesort.NAME: queuesort.new,
        schedulinggates.NAME: schedulinggates.new,
        nodeunschedulable.NAME: nodeunschedulable.new,
        nodename.NAME: nodename.new,
        tainttoleration.NAME: tainttoleration.new,
        nodeaffinity.NAME: nodeaffinity.new,
        nodeports.NAME: nodeports.new,
        noderesources.FIT: noderesources.new_fit,
        noderesources.BALANCED: noderesources.new_balanced_allocation,
        imagelocality.NAME: imagelocality.new,
        interpodaffinity.NAME: interpodaffinity.new,
        podtopologyspread.NAME: podtopologyspread.new,
        defaultpreemption.NAME: defaultpreemption.new,
        defaultbinder.NAME: defaultbinder.new,
    }
    for name in volumes.NAMES:
        reg[name] = volumes.factory(name)
    return reg
