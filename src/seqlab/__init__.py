"""seqlab: when does a network with memory (RNN, LSTM, GRU) beat a feed-forward window?"""

__version__ = "0.1.0"
