import pytest

from adventure.game import Game
from adventure.parser import parse
from adventure.world import load_world

DATA = {
    "rooms": {
        "hall": {"description": "A dusty hall.", "exits": {"north": "study", "east": "kitchen"},
                 "items": [], "locked": {"north": "key"}},
        "kitchen": {"description": "Pots everywhere.", "exits": {"west": "hall"}, "items": ["key", "apple"]},
        "study": {"description": "Books.", "exits": {"south": "hall"}, "items": []},
    },
    "start": "hall",
    "goal": "study",
}


def test_load_world():
    rooms = load_world(DATA)
    assert rooms["hall"].exits == {"north": "study", "east": "kitchen"} and rooms["kitchen"].items == ["key", "apple"]
    assert rooms["hall"].locked == {"north": "key"} and rooms["study"].locked == {}
    with pytest.raises(ValueError):
        load_world({"rooms": {"a": {"description": "", "exits": {"up": "nowhere"}}}, "start": "a", "goal": "a"})


def test_parser():
    assert parse("Take the Key") == ("take", "key")
    assert parse("n") == ("go", "north") and parse("w") == ("go", "west")
    assert parse("look") == ("look", "") and parse("i") == ("inventory", "")


def test_look_and_go():
    game = Game(DATA)
    assert game.command("look") == "hall\nA dusty hall."
    assert game.command("go east") == "kitchen\nPots everywhere.\nYou see: key, apple"
    assert game.room.name == "kitchen"
    assert game.command("go up") == "You can't go that way."


def test_take_drop_inventory():
    game = Game(DATA)
    game.command("e")
    assert game.command("inventory") == "You carry nothing."
    assert game.command("take apple") == "Taken."
    assert game.command("take the key") == "Taken."
    assert game.command("take sword") == "No sword here."
    assert game.command("i") == "You carry: apple, key"
    assert game.command("drop apple") == "Dropped."
    assert game.room.items == ["apple"]


def test_locked_door_and_win():
    game = Game(DATA)
    assert game.command("go north") == "The way north is locked."
    assert not game.won
    game.command("e")
    game.command("take key")
    game.command("w")
    reply = game.command("n")
    assert reply.startswith("study\nBooks.") and reply.splitlines()[-1] == "You win!" and game.won


def test_unknown_verb():
    assert Game(DATA).command("dance wildly") == "I don't understand."
