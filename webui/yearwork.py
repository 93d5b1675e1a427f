"""The blueprints of the year's work (issue 14) besides the statistics page: exports, printable
documents, the battle map and the appraisal."""

from . import appraisal, battlemap, exports, printing

BLUEPRINTS = (exports.bp, printing.bp, battlemap.bp, appraisal.bp)
