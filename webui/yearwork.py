"""The blueprints of the year's work (issue 14) besides the statistics page: exports, printable
documents and the battle map."""

from . import battlemap, exports, printing

BLUEPRINTS = (exports.bp, printing.bp, battlemap.bp)
