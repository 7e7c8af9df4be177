"""The speech recognizer's closed world: the sentences its acoustic model hears and its language models read.

Digit strings ("dial four one five nine"), times ("wake me at seven thirty"), and simple commands ("turn left
three steps", "put the red cup on the table"), drawn from a small grammar with a seeded generator: a few hundred
word types. "for" and "four", "to" / "two" / "too" sound alike on purpose: only the words around them (a
language model) can tell which was said. Written text is lower-case letters, spaces and apostrophes.
"""
import random

ALPHABET = " abcdefghijklmnopqrstuvwxyz'"  # the acoustic model's characters; CTC's blank comes before them

DIGITS = "zero one two three four five six seven eight nine".split()
TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
TENS = "twenty thirty forty fifty".split()
SMALL = DIGITS[1:] + TEENS[:3]  # one .. twelve: counts of steps, hours on a clock
ADJECTIVES = "red blue green yellow black white orange purple brown grey pink silver".split()
THINGS = ("box ball cup book key chair table door window lamp phone bottle bag hat shoe plate spoon fork knife "
          "pen pencil letter basket blanket pillow towel jacket glass bowl clock radio camera ladder hammer "
          "bucket brush candle coin map ticket wallet umbrella").split()
PLACES = ("kitchen bedroom garage hallway office garden bathroom cellar attic porch shed library classroom "
          "balcony").split()
SURFACES = "table shelf floor bed desk chair counter bench".split()
UNITS = "steps meters seconds minutes hours degrees".split()
DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
PEOPLE = "mom, dad, anna, peter, grandma, the doctor, the office, my brother, my sister, the teacher".split(", ")
SONGS = "music, the radio, the news, a song, some jazz, the next song".split(", ")


def _number(rng: random.Random) -> str:
    return rng.choice(SMALL + TEENS[3:] + [f"{tens} {unit}" for tens in TENS for unit in DIGITS[1:4]])


def _clock(rng: random.Random) -> str:
    hour = rng.choice(SMALL)
    return rng.choice([hour, f"{hour} o'clock", f"{hour} thirty", f"{hour} fifteen", f"{hour} forty five",
                       f"half past {hour}", f"quarter to {hour}", f"{hour} {rng.choice(['am', 'pm'])}"])


# each template: rng -> one sentence
TEMPLATES = (
    lambda r: f"dial {' '.join(r.choice(DIGITS) for _ in range(r.randint(3, 5)))}",
    lambda r: f"call {r.choice(PEOPLE)}",
    lambda r: f"call {r.choice(PEOPLE)} at {_clock(r)}",
    lambda r: f"wake me at {_clock(r)}",
    lambda r: f"set an alarm for {_clock(r)}",
    lambda r: f"set a timer for {_number(r)} {r.choice(['seconds', 'minutes', 'hours'])}",
    lambda r: f"wait for {r.choice(SMALL)} seconds",
    lambda r: f"remind me on {r.choice(DAYS)} at {_clock(r)}",
    lambda r: f"turn {r.choice(['left', 'right', 'around'])}",
    lambda r: f"turn {r.choice(['left', 'right'])} {r.choice(SMALL)} {r.choice(['steps', 'degrees'])}",
    lambda r: f"go {r.choice(['forward', 'back', 'up', 'down'])} {r.choice(SMALL)} {r.choice(UNITS[:2])}",
    lambda r: f"move {r.choice(['left', 'right', 'forward', 'back'])} {r.choice(SMALL)} steps",
    lambda r: f"go to the {r.choice(PLACES)}",
    lambda r: f"pick up the {r.choice(ADJECTIVES)} {r.choice(THINGS)}",
    lambda r: f"put the {r.choice(THINGS)} on the {r.choice(SURFACES)}",
    lambda r: f"bring the {r.choice(THINGS)} to the {r.choice(PLACES)}",
    lambda r: f"bring {r.choice(SMALL[1:])} {r.choice(THINGS)}s to the {r.choice(PLACES)}",
    lambda r: f"find my {r.choice(THINGS)}",
    lambda r: f"where is the {r.choice(ADJECTIVES)} {r.choice(THINGS)}",
    lambda r: f"{r.choice(['open', 'close', 'lock'])} the {r.choice(['door', 'window', 'gate', 'box'])}",
    lambda r: f"switch {r.choice(['on', 'off'])} the {r.choice(['lights', 'lamp', 'radio', 'heater', 'fan'])}",
    lambda r: f"turn the {r.choice(['lights', 'heater', 'fan', 'radio'])} {r.choice(['on', 'off', 'up', 'down'])}",
    lambda r: f"play {r.choice(SONGS)} for {r.choice(SMALL)} minutes",
    lambda r: f"play {r.choice(SONGS)}",
    lambda r: f"volume {r.choice(['up', 'down'])} {r.choice(SMALL)}",
    lambda r: "stop",
    lambda r: "what time is it",
    lambda r: f"what is the weather on {r.choice(DAYS)}",
    lambda r: f"add {r.choice(SMALL[1:])} {r.choice(THINGS)}s to the list",
    lambda r: f"table for {r.choice(SMALL[1:])} at {_clock(r)}",
    lambda r: f"{r.choice(SMALL[1:])} tickets for {r.choice(DAYS)}",
    lambda r: f"go to {r.choice(['room', 'gate', 'platform', 'floor'])} {r.choice(SMALL)}",
    lambda r: f"send it to {r.choice(PEOPLE)} too",
)


def sentences(count: int, seed: int) -> list[str]:
    """`count` sentences drawn from the grammar (each template equally likely), the same for the same seed."""
    rng = random.Random(seed)
    return [rng.choice(TEMPLATES)(rng) for _ in range(count)]


def words() -> list[str]:
    """Every word type the grammar can produce, sorted (a large sample covers them all)."""
    return sorted({word for sentence in sentences(20000, 0) for word in sentence.split()})
