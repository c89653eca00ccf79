class BybitWs:
    def __init__(self, venue, ctx):
        self.venue = venue
