"""The blueprints of the year's work (issue 14) besides the statistics page: exports, printable
documents, the battle map and the appraisal; and the case page's paper forms, tracked handling and
results adopted (issue 11)."""

from . import appraisal, battlemap, caseyear, exports, printing

BLUEPRINTS = (exports.bp, printing.bp, battlemap.bp, appraisal.bp, caseyear.bp)
