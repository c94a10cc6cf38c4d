"""Every kind of delivery, as the capabilities declare them: the one place the sender looks a
delivery's kind up."""

from bot.canvas import deliveries as canvas
from bot.exports import deliveries as exports
from bot.objectives import deliveries as objectives
from bot.outbox.kinds import Kind
from bot.plans import deliveries as plans
from bot.reviews import deliveries as reviews
from bot.scoring import deliveries as scoring
from bot.sessions import deliveries as sessions

KINDS: dict[str, Kind] = {kind.name: kind for module in (
    plans, sessions, scoring, objectives, reviews, exports, canvas) for kind in module.KINDS}
