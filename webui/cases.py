"""(filled in by the web UI work)"""

from flask import Blueprint

bp = Blueprint("cases", __name__)
